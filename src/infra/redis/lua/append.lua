--[[
  append.lua — atomically append events to one job and apply their queue effects.
  The only way Docket writes a job's history (ADR 0005). Hashes are computed by the caller;
  this script checks that the chain and the version line up, then writes everything at once.

  KEYS[1] head hash          <p>:{s}:job:<id>
  KEYS[2] job event stream   <p>:{s}:events:<id>
  KEYS[3] shard log stream   <p>:{s}:log
  KEYS[4] delayed zset       <p>:{s}:delayed      (pending and failed jobs, scored by due ms)
  KEYS[5] dead-letter zset   <p>:{s}:dead         (scored by dead-letter ms)
  KEYS[6] work stream the job is enqueued on if it becomes queued  <p>:{s}:work:<queue>:<level>
  KEYS[7] idempotency key    <p>:{s}:idem:<key>   (a placeholder key when there is none)

  ARGV[1]  jobId
  ARGV[2]  expected version (0 = create the job)
  ARGV[3]  expected status, the state the job leaves ('' when creating)
  ARGV[4]  fencing attempt: the head's attempt must equal it ('' = no fencing check)
  ARGV[5]  prevHash of the first envelope (must equal the head's lastHash, or genesis)
  ARGV[6]  new version      ARGV[7] new last hash      ARGV[8] new status
  ARGV[9]  new attempt      ARGV[10] new state JSON ({value, context} of the machine)
  ARGV[11] due epoch ms, the delayed-set score when the job becomes pending/failed ('' if none)
  ARGV[12] now epoch ms (dead-letter score, creation time)
  ARGV[13] consumer group of the work streams
  ARGV[14] payload JSON (creation only)
  ARGV[15] '1' when KEYS[7] is a real idempotency key
  ARGV[16] N, the number of envelopes; ARGV[17..] N triples: seq, type, envelope JSON

  Returns {1, newVersion}         appended
          {-1, currentVersion}    version conflict (0: the job does not exist)
          {-2, currentStatus}     the job is not in the expected status
          {-3, currentAttempt}    fenced: the writer's attempt is not the current one
          {-4, currentLastHash}   prevHash does not continue the chain
          {-5, existingJobId}     idempotent repeat: nothing appended
          {-6, ''}                create, but the job already exists
]]
local head = KEYS[1]
local jobId = ARGV[1]
local expectedVersion = tonumber(ARGV[2])
local oldStatus = ARGV[3]
local newStatus = ARGV[8]

if expectedVersion == 0 then
  if ARGV[15] == '1' then
    local existing = redis.call('GET', KEYS[7])
    if existing then return {-5, existing} end
  end
  if redis.call('EXISTS', head) == 1 then return {-6, ''} end
  if ARGV[5] ~= string.rep('0', 64) then return {-4, string.rep('0', 64)} end
else
  local cur = redis.call('HMGET', head, 'version', 'lastHash', 'status', 'attempt')
  if not cur[1] then return {-1, '0'} end
  if tonumber(cur[1]) ~= expectedVersion then return {-1, cur[1]} end
  if cur[3] ~= oldStatus then return {-2, cur[3]} end
  if ARGV[4] ~= '' and cur[4] ~= ARGV[4] then return {-3, cur[4]} end
  if cur[2] ~= ARGV[5] then return {-4, cur[2]} end
end

local n = tonumber(ARGV[16])
for i = 0, n - 1 do
  local seq, kind, env = ARGV[17 + 3 * i], ARGV[18 + 3 * i], ARGV[19 + 3 * i]
  redis.call('XADD', KEYS[2], '*', 'seq', seq, 'type', kind, 'env', env)
  redis.call('XADD', KEYS[3], '*', 'jobId', jobId, 'seq', seq, 'type', kind, 'env', env)
end

redis.call('HSET', head, 'version', ARGV[6], 'lastHash', ARGV[7], 'status', newStatus,
  'attempt', ARGV[9], 'state', ARGV[10])
if expectedVersion == 0 then
  redis.call('HSET', head, 'payload', ARGV[14], 'createdAt', ARGV[12])
  if ARGV[15] == '1' then redis.call('SET', KEYS[7], jobId) end
end

-- Queue effects follow from the change of status alone.
if newStatus ~= oldStatus then
  if newStatus ~= 'processing' then
    -- The job no longer needs its work entry: acknowledge and delete it (work streams are
    -- delivery, not history; the history is in KEYS[2] and KEYS[3]).
    local entry = redis.call('HMGET', head, 'entryStream', 'entryId')
    if entry[1] then
      redis.call('XACK', entry[1], ARGV[13], entry[2])
      redis.call('XDEL', entry[1], entry[2])
      redis.call('HDEL', head, 'entryStream', 'entryId')
    end
  end
  if oldStatus == 'pending' or oldStatus == 'failed' then redis.call('ZREM', KEYS[4], jobId) end
  if oldStatus == 'dead_letter' then redis.call('ZREM', KEYS[5], jobId) end
  if newStatus == 'queued' then
    local id = redis.call('XADD', KEYS[6], '*', 'jobId', jobId)
    redis.call('HSET', head, 'entryStream', KEYS[6], 'entryId', id)
  elseif newStatus == 'pending' or newStatus == 'failed' then
    redis.call('ZADD', KEYS[4], ARGV[11], jobId)
  elseif newStatus == 'dead_letter' then
    redis.call('ZADD', KEYS[5], ARGV[12], jobId)
  end
end
return {1, ARGV[6]}
