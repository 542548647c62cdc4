-- wrk script: POST short posts to /v1/score, cycling through a few typical forwarded messages.
-- wrk -t2 -c64 -d20s --latency -s bench/serve/post.lua http://127.0.0.1:PORT/v1/score
local posts = {
  '{"text":"URGENT: doctors confirm that hot water kills the virus. Share before they delete this!","source":"Family group","forwarded_from":"unknown"}',
  '{"text":"Segundo o Ministério da Saúde, a campanha de vacinação começa segunda-feira.","source":"Saúde em Dia"}',
  '{"text":"Meeting moved to 6pm tomorrow, bring your notes.","source":"Study group","author":"Ana"}',
  '{"text":"Studies show lemon water cures diabetes in 3 days!!! Forward to everyone you love","source":"Health tips"}',
  '{"text":"New WHO guidance on masks: https://www.who.int/news/item/2024-01-01","source":"News"}',
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, posts[(i % #posts) + 1])
end
-- bench/serve/soak.sh holds a rate: SOAK_RATE requests/s in all, over SOAK_THREADS wrk threads. Each
-- thread spaces its connections' requests with delay(), and once a second (os.time) moves that delay
-- so that its own count of answers meets its share of the rate. wrk's delay() is in whole
-- milliseconds: a fractional delay is dithered between the two neighbours.
local soak_rate = tonumber(os.getenv("SOAK_RATE") or "")
local soak_threads = tonumber(os.getenv("SOAK_THREADS") or "1")
if soak_rate and soak_rate > 0 then
  local target = soak_rate / soak_threads
  local d, count, second = 1.0, 0, nil
  delay = function()
    local base = math.floor(d)
    return base + ((math.random() < d - base) and 1 or 0)
  end
  soak_tick = function()
    local now = os.time()
    if second == nil then second = now end
    if now ~= second then
      local per_s = count / (now - second)
      -- rate ~ connections / (delay + latency): move the delay in proportion to the miss
      d = d * (per_s / target) + (per_s - target) / target
      if d < 0 then d = 0 elseif d > 1000 then d = 1000 end
      count, second = 0, now
    end
    count = count + 1
  end
end
local errors = 0
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
  if soak_tick then soak_tick() end
end
done = function(summary, latency, requests)
  io.write(string.format("non200=%d\n", summary.errors.status))
end
