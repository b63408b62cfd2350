--[[
  webhook-subscribe.lua — add a subscription unless as many as the limit exist already (ADR 0038):
  the count and the add in one step, so concurrent creates never pass the limit together.

  KEYS[1] the subscriptions hash   <p>:{webhooks}:subs
  ARGV[1] id   ARGV[2] the subscription's JSON   ARGV[3] the limit

  Returns 1 when added, 0 when the limit is reached.
]]
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
