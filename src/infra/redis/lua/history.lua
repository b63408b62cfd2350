--[[
  history.lua — read jobs' histories in one round trip (ADR 0027). Read-only.

  A job's history is stored once, in its shard log; the job's own key holds only the index of
  its log entry ids, element i being the entry of seq i + 1 (append.lua writes both). This
  script reads each job's index and gathers the entries it names.

  KEYS[1] shard log stream   <p>:{s}:log
  ARGV[1] the shard's key tag, <p>:{s}: (a job's index is <p>:{s}:history:<id>, as in keys.ts)
  ARGV[2] 'all' (every element of each index) or 'last' (only each index's last element)
  ARGV[3..] job ids, all of this shard

  Returns the shard's archived-through id ('' when nothing was trimmed, ADR 0034), then one
  list per job id, in order: {length of the index, then per element read (oldest first)
  {entry id, the log entry's flat field list}}. The field list is empty when the log does not
  hold that id: archived and trimmed when the id is at or before the archived-through id (the
  caller reads it from the archive), else deleted, or the element is not an entry id.
]]
local log, tag, mode = KEYS[1], ARGV[1], ARGV[2]
local out = { redis.call('GET', tag .. 'archived') or '' }
for j = 3, #ARGV do
  local index = tag .. 'history:' .. ARGV[j]
  local length = redis.call('LLEN', index)
  local ids
  if mode == 'last' then
    ids = length > 0 and { redis.call('LINDEX', index, -1) } or {}
  else
    ids = redis.call('LRANGE', index, 0, -1)
  end
  local job = { length }
  for _, id in ipairs(ids) do
    -- pcall: an element that is not a stream id (a tampered index) reads as absent, not as an
    -- error that would fail the whole read.
    local found = redis.pcall('XRANGE', log, id, id)
    local fields = {}
    if type(found) == 'table' and not found.err and found[1] then fields = found[1][2] end
    job[#job + 1] = { id, fields }
  end
  out[#out + 1] = job
end
return out
