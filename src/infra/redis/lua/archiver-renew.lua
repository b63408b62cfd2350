--[[
  archiver-renew.lua — extend the archiver lease's term (ADR 0028), only for the holder and token
  of the current term; or, with ARGV[3] = 'release', end it.

  KEYS[1] lease hash   <p>:{archiver}:lease
  ARGV[1] holder   ARGV[2] token   ARGV[3] ttl ms, or 'release'

  Returns 1 when the term was this holder's (and is now extended or ended), else 0.
]]
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then
  return 0
end
if ARGV[3] == 'release' then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
