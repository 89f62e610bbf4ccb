-- Signed Cloud API status webhooks from BENCH_WEBHOOKS ("<signature> <body>" a line).
-- Each wrk thread takes every n-th line, so no report is sent twice within a run.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local signatures, bodies = {}, {}
for line in io.lines(os.getenv("BENCH_WEBHOOKS")) do
  local space = line:find(" ", 1, true)
  signatures[#signatures + 1] = line:sub(1, space - 1)
  bodies[#bodies + 1] = line:sub(space + 1)
end
local threads, index, step = {}, 0, 1
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
  thread:set("first", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
  index = first or 0
end

function request()
  local n = index % #bodies + 1
  index = index + step
  return wrk.format(nil, "/channels/whatsapp/webhook",
    { ["X-Hub-Signature-256"] = signatures[n] }, bodies[n])
end
