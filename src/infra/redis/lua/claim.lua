--[[
  claim.lua — take up to COUNT new work entries for one consumer, highest priority first, and
  return each with its job head, in one round trip.

  KEYS[1..K] work streams of one shard, in the order to serve them (highest level first)

  ARGV[1] consumer group   ARGV[2] consumer name   ARGV[3] COUNT
  ARGV[4] head key prefix of the shard (<p>:{s}:job:)

  Returns a list of {stream, entryId, jobId, version, lastHash, state JSON, payload JSON};
  head fields are false when the head is missing.
]]
local out = {}
local remaining = tonumber(ARGV[3])
for i = 1, #KEYS do
  if remaining <= 0 then break end
  local res = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', remaining, 'STREAMS', KEYS[i], '>')
  if res then
    for _, entry in ipairs(res[1][2]) do
      local fields = entry[2]
      local jobId = fields[2]
      local h = redis.call('HMGET', ARGV[4] .. jobId, 'version', 'lastHash', 'state', 'payload')
      out[#out + 1] = {KEYS[i], entry[1], jobId, h[1] or false, h[2] or false, h[3] or false, h[4] or false}
      remaining = remaining - 1
    end
  end
end
return out
