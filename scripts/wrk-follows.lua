-- wrk script for scripts/outside-check.sh: POST /follow on distinct pairs.
-- $CHECK_DIR/tokens.txt holds one bearer token per follower, targets.txt one target id
-- per line; wrk thread t takes targets t, t + 2, ... so no pair repeats.
local dir = os.getenv("CHECK_DIR")
local tokens, targets = {}, {}
for line in io.lines(dir .. "/tokens.txt") do tokens[#tokens + 1] = line end
for line in io.lines(dir .. "/targets.txt") do targets[#targets + 1] = line end
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local counter = 0
function request()
  counter = counter + 1
  local f = (counter % #tokens) + 1
  local t = ((math.floor(counter / #tokens) * 2 + id) % #targets) + 1
  return wrk.format("POST", "/api/v1/community/follow",
    { ["Authorization"] = "Bearer " .. tokens[f], ["Content-Type"] = "application/json" },
    '{"user_id":"' .. targets[t] .. '"}')
end
