--[[
  renew.lua — keep a consumer's leases alive: reset the idle time of the entries it still owns,
  and report those it no longer owns (reclaimed by another worker, or acknowledged because the
  job was cancelled), so their handlers can be aborted. Never takes an entry from another
  consumer, unlike a bare XCLAIM.

  KEYS[1] work stream
  ARGV[1] consumer group   ARGV[2] consumer name   ARGV[3..] entry ids

  Returns the list of entry ids this consumer has lost.
]]
local lost = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID')
  else
    lost[#lost + 1] = id
  end
end
return lost
