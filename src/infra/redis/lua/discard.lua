--[[
  discard.lua — drop a work entry for its owner only: acknowledge and delete it if it is pending
  to this consumer, else change nothing. An entry another consumer reclaimed is that consumer's
  lease on the job (a stalled worker waking up must not take it away: the job would be left with
  no entry, and nobody could reclaim it); one acknowledged already is gone with its job.

  KEYS[1] work stream
  ARGV[1] consumer group   ARGV[2] consumer name   ARGV[3] entry id

  Returns 1 when the entry was dropped, 0 when it was left as it was.
]]
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if p[1] and p[1][2] == ARGV[2] then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
  redis.call('XDEL', KEYS[1], ARGV[3])
  return 1
end
return 0
