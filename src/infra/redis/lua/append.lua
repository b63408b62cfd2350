--[[
  append.lua — atomically append events to one or more jobs of one shard and apply their queue
  effects. The only way Docket writes a job's history (ADR 0005, batched by ADR 0011). Hashes are
  computed by the caller; this script checks that the chain and the version line up, then writes
  everything at once. Each job of a call is checked on its own: a refused job is left untouched
  and does not stop the others. Jobs are applied in order, so a call may carry two appends to
  the same job (the second expecting the version the first leaves).

  KEYS[1] shard log stream   <p>:{s}:log
  KEYS[2] delayed zset       <p>:{s}:delayed      (pending, failed and suspended jobs, scored by
                                                   due ms)
  KEYS[3] dead-letter zset   <p>:{s}:dead         (scored by dead-letter ms)

  The per-job keys are not passed: they are built here from the shard's key tag and the job id,
  as keys.ts builds them (ADR 0013; they share the shard's hash tag, so a Cluster node serving
  the shard's slot holds them all):
    <p>:{s}:job:<id>      head hash
    <p>:{s}:history:<id>  job history index: a list of the job's shard-log entry ids, element i
                          naming the entry of seq i+1 (ADR 0027: each event is stored once, in
                          the log; history.lua reads a job's events through its index)
    <p>:{s}:work:<queue>:<level>  work stream it is enqueued on if it becomes queued
            (entry fields: jobId, then the new head's version, lastHash, spec, live and payload)
    <p>:{s}:idem:<key>    idempotency key
    <p>:{s}:ended:<status>  retention candidates (ADR 0034): jobs that ended completed,
                          cancelled or dead_letter and follow the deployment's retention for it,
                          scored by end ms; left when JobEvicted is appended or a dead letter
                          is revived
    <p>:{s}:ended-own:<status>  the same for jobs with their own retainMs (what a purge also takes)
    <p>:{s}:expires       those with their own retainMs, scored by end ms + retainMs
    <p>:{s}:evicting      jobs whose JobEvicted is appended, scored by that entry's ms: they
                          leave Redis (evict.lua) once the archive holds it
    <p>:{s}:waiting       jobs that wait for their dependencies (ADR 0042), scored by the ms
                          they began to: entered with `waiting` (or created dead-lettered by
                          policy), kept while such a job is dead-lettered by policy (it may
                          still be released), left otherwise

  ARGV[1] consumer group of the work streams
  ARGV[2] J, the number of jobs; -J asks for all or nothing (a flow's submit, ADR 0042): every
          job is checked before any is written, and if one is refused nothing is written and
          every other job answers -7. Only for calls whose jobs are distinct (a job's second
          append in the call would be checked against the head the first has not yet written).
  ARGV[3] the shard's key tag, <p>:{s}:
  then for each job, in order, a record of 18 fields followed by its envelopes:
    1  jobId
    2  expected version (0 = create the job)
    3  expected status, the state the job leaves ('' when creating)
    4  fencing attempt: the head's attempt must equal it ('' = no fencing check)
    5  prevHash of the first envelope (must equal the head's lastHash, or genesis)
    6  new version      7 new last hash      8 new status
    9  new attempt      10 new live state JSON (status and what changes as the job runs)
    11 due epoch ms, the delayed-set score when the job becomes pending/failed ('' if none)
    12 now epoch ms (dead-letter score)
    13 payload JSON (creation only)
    14 spec state JSON (creation only: what the submission fixed; never changes after)
    15 idempotency key ('' = none)
    16 work stream of the job's queue and priority, '<queue>:<level>'
    17 the job's own retainMs ('' = the deployment's retention for its end state)
    18 N, the number of envelopes; then N triples: seq, type, envelope JSON

  Returns a flat list of 2J values, a (code, value) pair per job in order:
          1, newVersion         appended
          -1, currentVersion    version conflict (0: the job does not exist)
          -2, currentStatus     the job is not in the expected status
          -3, currentAttempt    fenced: the writer's attempt is not the current one
          -4, currentLastHash   prevHash does not continue the chain
          -5, existingJobId     idempotent repeat: nothing appended
          -6, ''                create, but the job already exists
          -7, ''                all or nothing: not applied, another job of the call was refused
]]
local GENESIS = string.rep('0', 64)
local log, delayed, dead = KEYS[1], KEYS[2], KEYS[3]
local group = ARGV[1]
local jobs = tonumber(ARGV[2])
local allOrNothing = jobs < 0
if allOrNothing then jobs = -jobs end
local tag = ARGV[3]
local out = {}

-- Checks one job's record; returns nil (and the head's current fields, for an existing job)
-- when it may be appended, else the refusal pair.
local function check(head, idem, a)
  local expectedVersion = tonumber(ARGV[a + 2])
  if expectedVersion == 0 then
    if idem then
      local existing = redis.call('GET', idem)
      if existing then return -5, existing end
    end
    if redis.call('EXISTS', head) == 1 then return -6, '' end
    if ARGV[a + 5] ~= GENESIS then return -4, GENESIS end
    return nil, nil, nil
  end
  local cur = redis.call('HMGET', head, 'version', 'lastHash', 'status', 'attempt', 'entryStream', 'entryId')
  if not cur[1] then return -1, '0' end
  if tonumber(cur[1]) ~= expectedVersion then return -1, cur[1] end
  if cur[3] ~= ARGV[a + 3] then return -2, cur[3] end
  if ARGV[a + 4] ~= '' and cur[4] ~= ARGV[a + 4] then return -3, cur[4] end
  if cur[2] ~= ARGV[a + 5] then return -4, cur[2] end
  return nil, nil, cur
end

if allOrNothing then
  local refused = {}
  local any = false
  local b = 3
  for j = 1, jobs do
    local idem = ARGV[b + 15] ~= '' and (tag .. 'idem:' .. ARGV[b + 15]) or nil
    local code, value = check(tag .. 'job:' .. ARGV[b + 1], idem, b)
    if code then
      refused[j] = {code, value}
      any = true
    end
    b = b + 18 + 3 * tonumber(ARGV[b + 18])
  end
  if any then
    for j = 1, jobs do
      local r = refused[j] or {-7, ''}
      out[#out + 1] = r[1]
      out[#out + 1] = r[2]
    end
    return out
  end
end

local a = 3 -- ARGV[a + 1] is the first field of the current job's record
for j = 1, jobs do
  local jobId = ARGV[a + 1]
  local head = tag .. 'job:' .. jobId
  local idem = ARGV[a + 15] ~= '' and (tag .. 'idem:' .. ARGV[a + 15]) or nil
  local n = tonumber(ARGV[a + 18])
  local code, value, cur = check(head, idem, a)
  if code then
    out[#out + 1] = code
    out[#out + 1] = value
  else
    local created = tonumber(ARGV[a + 2]) == 0
    local oldStatus, newStatus = ARGV[a + 3], ARGV[a + 8]
    -- Each event is stored once, in the shard log; the job's history is the index of its log
    -- entry ids (ADR 0027; a list, as ADR 0015 chose for the envelopes it held before).
    local ids = {}
    local evictedAt = nil
    for i = 0, n - 1 do
      local e = a + 19 + 3 * i
      ids[i + 1] = redis.call('XADD', log, '*', 'jobId', jobId, 'seq', ARGV[e], 'type', ARGV[e + 1],
        'env', ARGV[e + 2])
      if ARGV[e + 1] == 'JobEvicted' then evictedAt = string.match(ids[i + 1], '^(%d+)') end
    end
    redis.call('RPUSH', tag .. 'history:' .. jobId, unpack(ids))

    -- The head's new fields, written with one HSET once the queue effects have added theirs.
    local headFields = {'version', ARGV[a + 6], 'lastHash', ARGV[a + 7], 'status', newStatus,
      'attempt', ARGV[a + 9], 'live', ARGV[a + 10]}
    if created then
      headFields[#headFields + 1] = 'spec'
      headFields[#headFields + 1] = ARGV[a + 14]
      headFields[#headFields + 1] = 'payload'
      headFields[#headFields + 1] = ARGV[a + 13]
      if idem then
        redis.call('SET', idem, jobId)
        -- So the key leaves with the job (evict.lua): idempotency lasts as long as retention.
        headFields[#headFields + 1] = 'idem'
        headFields[#headFields + 1] = idem
      end
    end

    -- Queue effects follow from the change of status alone.
    if newStatus ~= oldStatus then
      if newStatus ~= 'processing' then
        -- The job no longer needs its work entry: acknowledge and delete it (work streams are
        -- delivery, not history; the history is in the shard log).
        -- (A new job has none; an existing one's were read by the check.)
        if cur and cur[5] then
          redis.call('XACK', cur[5], group, cur[6])
          redis.call('XDEL', cur[5], cur[6])
          redis.call('HDEL', head, 'entryStream', 'entryId')
        end
      end
      if oldStatus == 'pending' or oldStatus == 'failed' or oldStatus == 'suspended' then
        redis.call('ZREM', delayed, jobId)
      end
      if oldStatus == 'dead_letter' then
        -- Revived (a manual retry, or released by its dependencies): no longer a candidate.
        redis.call('ZREM', dead, jobId)
        redis.call('ZREM', tag .. 'ended:dead_letter', jobId)
        redis.call('ZREM', tag .. 'ended-own:dead_letter', jobId)
        redis.call('ZREM', tag .. 'expires', jobId)
      end
      -- A job created dead-lettered was failed by a dependency that had already failed when it
      -- was submitted (no other path creates a dead letter): it may still be released.
      if newStatus == 'waiting' or (created and newStatus == 'dead_letter') then
        redis.call('ZADD', tag .. 'waiting', ARGV[a + 12], jobId)
      elseif (oldStatus == 'waiting' or oldStatus == 'dead_letter') and newStatus ~= 'dead_letter' then
        redis.call('ZREM', tag .. 'waiting', jobId)
      end
      if newStatus == 'queued' then
        -- The entry carries the head as it is now, so a worker woken by a blocking read can start
        -- the job without reading its head first. It is only a hint: the start is a
        -- compare-and-append like any other, and a queued job's head cannot change while its
        -- entry waits (leaving `queued` deletes the entry), so it is current when delivered.
        local work = tag .. 'work:' .. ARGV[a + 16]
        local fixed = created and {ARGV[a + 14], ARGV[a + 13]} or redis.call('HMGET', head, 'spec', 'payload')
        local id = redis.call('XADD', work, '*', 'jobId', jobId, 'version', ARGV[a + 6],
          'lastHash', ARGV[a + 7], 'spec', fixed[1] or '', 'live', ARGV[a + 10],
          'payload', fixed[2] or '')
        headFields[#headFields + 1] = 'entryStream'
        headFields[#headFields + 1] = work
        headFields[#headFields + 1] = 'entryId'
        headFields[#headFields + 1] = id
      elseif newStatus == 'pending' or newStatus == 'failed' or newStatus == 'suspended' then
        redis.call('ZADD', delayed, ARGV[a + 11], jobId)
      elseif newStatus == 'dead_letter' then
        redis.call('ZADD', dead, ARGV[a + 12], jobId)
      end
      -- Retention (ADR 0034): a finished job becomes a candidate to leave Redis.
      local retain = ARGV[a + 17]
      -- A job with its own retainMs is kept out of `ended:`: the deployment's rule must never
      -- find, at the front of its index, jobs it has to skip (they would hide the due ones).
      if newStatus == 'completed' or newStatus == 'cancelled' or newStatus == 'dead_letter' then
        if retain == '' then
          redis.call('ZADD', tag .. 'ended:' .. newStatus, ARGV[a + 12], jobId)
        else
          redis.call('ZADD', tag .. 'ended-own:' .. newStatus, ARGV[a + 12], jobId)
          redis.call('ZADD', tag .. 'expires', tonumber(ARGV[a + 12]) + tonumber(retain), jobId)
        end
      end
    end
    if evictedAt then
      -- No longer a candidate: it leaves Redis once the archive holds its JobEvicted.
      redis.call('ZREM', tag .. 'ended:' .. newStatus, jobId)
      redis.call('ZREM', tag .. 'ended-own:' .. newStatus, jobId)
      redis.call('ZREM', tag .. 'expires', jobId)
      redis.call('ZREM', tag .. 'waiting', jobId)
      redis.call('ZADD', tag .. 'evicting', evictedAt, jobId)
    end
    redis.call('HSET', head, unpack(headFields))
    out[#out + 1] = 1
    out[#out + 1] = ARGV[a + 6]
  end
  a = a + 18 + 3 * n
end
return out
