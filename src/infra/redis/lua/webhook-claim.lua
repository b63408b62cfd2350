--[[
  webhook-claim.lua — lease the deliveries due now to the caller (ADR 0038): each one's due time
  moves to the end of the lease, so no other deliverer sends it meanwhile, and it is due again
  if the caller dies before recording its attempt (at least once).

  KEYS[1] due deliveries (sorted set, score = due ms)   <p>:{webhooks}:due
  ARGV[1] now ms   ARGV[2] lease end ms   ARGV[3] most to lease   ARGV[4] the webhooks tag

  Returns the leased deliveries, each as its hash's HGETALL (field, value, …).
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local leased = {}
for _, id in ipairs(ids) do
  local fields = redis.call('HGETALL', ARGV[4] .. 'delivery:' .. id)
  if #fields == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    leased[#leased + 1] = fields
  end
end
return leased
