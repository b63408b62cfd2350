--[[
  claim.lua — take up to COUNT new work entries for one consumer, highest priority first, and
  return each with its job head, in one round trip.

  KEYS[1..K] work streams of one shard, in the order to serve them (highest level first)

  ARGV[1] consumer group   ARGV[2] consumer name   ARGV[3] COUNT
  ARGV[4] head key prefix of the shard (<p>:{s}:job:)
  ARGV[5..] the head fields to return with each entry (head-codec.ts HEAD_FIELDS)

  Returns a list of {stream, entryId, jobId, then the head fields in that order}; a field is
  false when it is missing (all of them when the head is).

  The head fields are read from the entry itself, which append.lua writes as jobId followed by
  the head's fields in this order when the job becomes queued (ADR 0011): an entry delivered
  with '>' was never delivered before, and a queued job's head cannot change while its entry
  waits (leaving `queued` deletes the entry), so they are the head's current values and no HMGET
  is needed (ADR 0033). An entry laid out otherwise has its head read with HMGET.
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
      local e = entry[2]
      local jobId = e[2]
      local row = {KEYS[i], entry[1], jobId}
      local carried = true
      for f = 1, #fields do
        if e[2 * f + 1] ~= fields[f] then carried = false break end
        row[#row + 1] = e[2 * f + 2]
      end
      if not carried then
        local h = redis.call('HMGET', ARGV[4] .. jobId, unpack(fields))
        row = {KEYS[i], entry[1], jobId}
        for f = 1, #fields do row[#row + 1] = h[f] or false end
      end
      out[#out + 1] = row
      remaining = remaining - 1
    end
  end
end
return out
