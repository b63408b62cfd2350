--[[
  schedule-append.lua — atomically append events to one schedule's history (ADR 0037), the only
  way Docket writes a schedule. Hashes are computed by the caller; this script checks that the
  version and the chain line up, then appends and moves the head at once. Every scheduler
  firing a tick goes through it with the version it decided against, so a tick is recorded once.

  KEYS[1] schedule head hash    <p>:{schedules}:schedule:<name>  (version, lastHash, status, state)
  KEYS[2] schedule event stream <p>:{schedules}:schedule-events:<name> (fields: seq, type, env)
  KEYS[3] index of schedules    <p>:{schedules}:index            (names not removed)

  ARGV[1] name
  ARGV[2] expected version (0 = create: no head, or a removed schedule whose history is set
          aside under <events key>:removed:<its last hash>, so its name can be used again)
  ARGV[3] expected last hash (the first envelope's prevHash)
  ARGV[4] new version   ARGV[5] new last hash   ARGV[6] new status   ARGV[7] new state JSON
  ARGV[8] N, then N pairs: type, envelope JSON (seq = expected version + i)

  Returns {1, newVersion} appended; {-1, currentVersion} version conflict (or exists when
  creating); {-4, currentLastHash} the chain does not continue.
]]
local head, events, index = KEYS[1], KEYS[2], KEYS[3]
local expected = tonumber(ARGV[2])
local cur = redis.call('HMGET', head, 'version', 'lastHash', 'status')
if expected == 0 then
  if cur[1] then
    if cur[3] ~= 'removed' then return {-1, cur[1]} end
    if redis.call('EXISTS', events) == 1 then
      redis.call('RENAME', events, events .. ':removed:' .. cur[2])
    end
    redis.call('DEL', head)
  end
else
  if not cur[1] or tonumber(cur[1]) ~= expected then return {-1, cur[1] or '0'} end
  if cur[2] ~= ARGV[3] then return {-4, cur[2]} end
end
local n = tonumber(ARGV[8])
for i = 1, n do
  redis.call('XADD', events, '*', 'seq', tostring(expected + i), 'type', ARGV[7 + 2 * i],
    'env', ARGV[8 + 2 * i])
end
redis.call('HSET', head, 'version', ARGV[4], 'lastHash', ARGV[5], 'status', ARGV[6], 'state', ARGV[7])
if ARGV[6] == 'removed' then
  redis.call('SREM', index, ARGV[1])
else
  redis.call('SADD', index, ARGV[1])
end
return {1, tonumber(ARGV[4])}
