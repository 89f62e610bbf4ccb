-- POST /message with bodies taken in turn from BENCH_BODIES (one JSON body a line).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local token = os.getenv("BENCH_TOKEN")
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  bodies[#bodies + 1] = line
end
local i = math.random(#bodies)
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

function request()
  i = i % #bodies + 1
  return wrk.format(nil, "/message", nil, bodies[i])
end
