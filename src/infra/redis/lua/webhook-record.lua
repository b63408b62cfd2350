--[[
  webhook-record.lua — record one delivery attempt and what follows it (ADR 0038): due again at
  a later time (pending), delivered, or dead (its attempts spent; listed until retried by hand).

  KEYS[1] the delivery   <p>:{webhooks}:delivery:<id>
  ARGV[1] the webhooks tag   ARGV[2] id   ARGV[3] the attempt (JSON)
  ARGV[4] 'pending', 'delivered' or 'dead'   ARGV[5] due ms (pending only)
  ARGV[6] now ms   ARGV[7] how long a delivered delivery is kept, ms

  A delivered delivery (its hash and attempt log) expires after ARGV[7]; the delivered index
  drops entries created before now - ARGV[7]; the other indexes drop ids whose hash is gone when
  they are read (redis-webhook-store.ts). Dead ones are kept until retried.

  Writes: attempts and round + 1, `last` = the attempt, the attempt appended to
  <tag>attempts:<id> (the last 100 kept), the due set and the status indexes.

  Returns 1, or 0 when the delivery is not pending (already recorded by another deliverer).
]]
local key, tag, id = KEYS[1], ARGV[1], ARGV[2]
if redis.call('HGET', key, 'status') ~= 'pending' then
  return 0
end
redis.call('HINCRBY', key, 'attempts', 1)
redis.call('HINCRBY', key, 'round', 1)
redis.call('HSET', key, 'last', ARGV[3])
redis.call('RPUSH', tag .. 'attempts:' .. id, ARGV[3])
redis.call('LTRIM', tag .. 'attempts:' .. id, -100, -1)
if ARGV[4] == 'pending' then
  redis.call('HSET', key, 'nextMs', ARGV[5])
  redis.call('ZADD', tag .. 'due', ARGV[5], id)
else
  local created = redis.call('HGET', key, 'createdMs')
  redis.call('HSET', key, 'status', ARGV[4], 'nextMs', '')
  redis.call('ZREM', tag .. 'due', id)
  redis.call('ZREM', tag .. 'status:pending', id)
  redis.call('ZADD', tag .. 'status:' .. ARGV[4], created, id)
  if ARGV[4] == 'delivered' then
    redis.call('PEXPIRE', key, ARGV[7])
    redis.call('PEXPIRE', tag .. 'attempts:' .. id, ARGV[7])
    redis.call('ZREMRANGEBYSCORE', tag .. 'status:delivered', '-inf', '(' .. (tonumber(ARGV[6]) - tonumber(ARGV[7])))
  end
end
return 1
