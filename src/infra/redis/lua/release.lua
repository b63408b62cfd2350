--[[
  release.lua — entries a consumer was delivered and will not start (it is stopping): for each
  one still pending to this consumer, set its idle time to IDLE ms, so that another worker's next
  XAUTOCLAIM past the lease takes it over at once instead of a lease later (ADR 0033). An entry
  another consumer reclaimed meanwhile is that consumer's, and is left as it is (as discard.lua
  leaves it). Nothing is acknowledged, and the delivery count is not raised (JUSTID).

  KEYS[1] work stream
  ARGV[1] consumer group   ARGV[2] consumer name   ARGV[3] IDLE (ms)   ARGV[4..] entry ids

  Returns the number of entries released.
]]
local released = 0
for i = 4, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'IDLE', ARGV[3], 'JUSTID')
    released = released + 1
  end
end
return released
