--[[
  forget.lua — takes jobs off the retention indexes they no longer belong in (ADR 0034): those
  retention or a purge found there but could not evict (gone from Redis, or refused by the
  machine because they are no longer finished).

  Each index is checked against the job's head at this instant, in this one script: an entry is
  removed only while the head disagrees with it (no head, or another status). So a job that was
  revived and finished again between the eviction's read and this call (a dead letter retried and
  completed, say) keeps the entry append.lua gave it for its new end, and is evicted in its turn.

  KEYS[1] the jobs with their own retainMs  <p>:{s}:expires
  ARGV[1] the shard's key tag, <p>:{s}:
  ARGV[2..] job ids
]]
local tag = ARGV[1]
local finished = {completed = true, cancelled = true, dead_letter = true}
for i = 2, #ARGV do
  local jobId = ARGV[i]
  local status = redis.call('HGET', tag .. 'job:' .. jobId, 'status')
  for end_status in pairs(finished) do
    if status ~= end_status then
      redis.call('ZREM', tag .. 'ended:' .. end_status, jobId)
      redis.call('ZREM', tag .. 'ended-own:' .. end_status, jobId)
    end
  end
  if not status or not finished[status] then redis.call('ZREM', KEYS[1], jobId) end
end
return #ARGV - 1
