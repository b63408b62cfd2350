--[[
  archiver-acquire.lua — take the archiver lease (ADR 0028) if it is free, or keep it if this
  holder has it. A new term gets a fencing token from the counter, first raised to the floor the
  caller read from the archive (the highest token any checkpoint carries), so a token always
  passes every earlier one even if Redis lost the counter.

  KEYS[1] lease hash        <p>:{archiver}:lease   fields holder, token; expires after the ttl
  KEYS[2] fencing counter   <p>:{archiver}:fence
  ARGV[1] holder   ARGV[2] ttl ms   ARGV[3] floor

  Returns the term's token, or nil when another holder has the lease.
]]
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder and holder ~= ARGV[1] then return nil end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('HGET', KEYS[1], 'token'))
end
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if current < tonumber(ARGV[3]) then redis.call('SET', KEYS[2], ARGV[3]) end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token
