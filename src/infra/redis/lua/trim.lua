--[[
  trim.lua — after the archive has committed a shard's log up to an entry, note that and trim
  the log up to it (ADR 0034). Only the archiver holding the lease calls it, and only with the
  last entry id of a checkpoint it read back from the archive: what is trimmed is durable there.

  KEYS[1] shard log stream        <p>:{s}:log
  KEYS[2] archived-through id     <p>:{s}:archived   (the shard's last archived entry id)
  ARGV[1] the last archived entry id, "ms-seq"

  The note and the trim happen together, and the note never goes back: a reader that finds an
  entry missing from the log and at or before this id reads it from the archive, and one that
  read the log after an id before this one knows entries may be missing after it (ADR 0034).
  Returns the number of entries trimmed.
]]
local function parse(id)
  local ms, seq = string.match(id or '', '^(%d+)-(%d+)$')
  if not ms then return nil end
  return tonumber(ms), tonumber(seq)
end
local ms, seq = parse(ARGV[1])
if not ms then return redis.error_reply('ERR not an entry id: ' .. tostring(ARGV[1])) end
local cms, cseq = parse(redis.call('GET', KEYS[2]))
if cms and (cms > ms or (cms == ms and cseq >= seq)) then
  ms, seq = cms, cseq
else
  redis.call('SET', KEYS[2], ARGV[1])
end
-- MINID drops entries strictly below the threshold: the one after the archived id.
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-%d', ms, seq + 1))
