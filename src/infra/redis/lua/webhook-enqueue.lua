--[[
  webhook-enqueue.lua — record the deliveries a run of shard-log entries makes and move the
  webhook follower's cursor past those entries, at once (ADR 0038). A delivery already recorded
  (same id: same target and entry) is left as it is, so following an entry twice records it once.

  KEYS[1] the shard's cursor   <p>:{webhooks}:cursor:<shard>
  ARGV[1] the webhooks tag     <p>:{webhooks}:   (delivery, index and due keys are built from it)
  ARGV[2] the cursor expected ('0-0' when none is stored yet)
  ARGV[3] the new cursor (the last entry id read)
  ARGV[4..] 8 per delivery: id, webhookId ('' for the job's own webhook), jobId, eventType, seq,
            url, body, createdMs

  Writes per new delivery: the hash <tag>delivery:<id> (status pending, attempts 0, due at
  createdMs), and its id in <tag>due, <tag>status:pending, <tag>job:<jobId> and, for a
  subscription's, <tag>sub:<webhookId> (scored by createdMs).

  Returns 1 when written; 0 when the cursor was not the expected one (nothing written).
]]
local current = redis.call('GET', KEYS[1]) or '0-0'
if current ~= ARGV[2] then
  return 0
end
local tag = ARGV[1]
for i = 4, #ARGV, 8 do
  local id = ARGV[i]
  local key = tag .. 'delivery:' .. id
  if redis.call('EXISTS', key) == 0 then
    local webhookId, jobId, created = ARGV[i + 1], ARGV[i + 2], ARGV[i + 7]
    redis.call('HSET', key, 'id', id, 'webhookId', webhookId, 'jobId', jobId, 'eventType', ARGV[i + 3],
      'seq', ARGV[i + 4], 'url', ARGV[i + 5], 'body', ARGV[i + 6], 'createdMs', created,
      'status', 'pending', 'attempts', 0, 'round', 0, 'nextMs', created)
    redis.call('ZADD', tag .. 'due', created, id)
    redis.call('ZADD', tag .. 'status:pending', created, id)
    redis.call('ZADD', tag .. 'job:' .. jobId, created, id)
    if webhookId ~= '' then
      redis.call('ZADD', tag .. 'sub:' .. webhookId, created, id)
    end
  end
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
