--[[
  webhook-retry.lua — make a dead delivery pending again, due now, with a fresh retry budget
  (ADR 0038). Its id, body and attempt log stay: receivers dedupe on the same Docket-Delivery.

  KEYS[1] the delivery   <p>:{webhooks}:delivery:<id>
  ARGV[1] the webhooks tag   ARGV[2] id   ARGV[3] now ms

  Returns 'retried', 'not_found' or 'not_dead'.
]]
local key, tag, id = KEYS[1], ARGV[1], ARGV[2]
local status = redis.call('HGET', key, 'status')
if not status then
  return 'not_found'
end
if status ~= 'dead' then
  return 'not_dead'
end
local created = redis.call('HGET', key, 'createdMs')
redis.call('HSET', key, 'status', 'pending', 'round', 0, 'nextMs', ARGV[3])
redis.call('ZREM', tag .. 'status:dead', id)
redis.call('ZADD', tag .. 'status:pending', created, id)
redis.call('ZADD', tag .. 'due', ARGV[3], id)
return 'retried'
