--[[
  claim.lua — take up to COUNT new work entries for one consumer, highest priority first, and
  return each with its job head, in one round trip.

  KEYS[1..K] work streams of one shard, in the order to serve them (highest level first)

  ARGV[1] consumer group   ARGV[2] consumer name   ARGV[3] COUNT
  ARGV[4] head key prefix of the shard (<p>:{s}:job:)
  ARGV[5..] the head fields to return with each entry (head-codec.ts HEAD_FIELDS)

  Returns a list of {stream, entryId, jobId, then the head fields in that order}; a field is
  false when it is missing (all of them when the head is).
]]
local out = {}
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
local remaining = tonumber(ARGV[3])
for i = 1, #KEYS do
  if remaining <= 0 then break end
  local res = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', remaining, 'STREAMS', KEYS[i], '>')
  if res then
    for _, entry in ipairs(res[1][2]) do
      local jobId = entry[2][2]
      local h = redis.call('HMGET', ARGV[4] .. jobId, unpack(fields))
      local row = {KEYS[i], entry[1], jobId}
      for f = 1, #fields do row[#row + 1] = h[f] or false end
      out[#out + 1] = row
      remaining = remaining - 1
    end
  end
end
return out
