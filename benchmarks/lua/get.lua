-- GET one authenticated path: BENCH_TOKEN, BENCH_PATH.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token

function request()
  return wrk.format(nil, path)
end
