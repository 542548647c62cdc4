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
local errors = 0
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("non200=%d\n", summary.errors.status))
end
