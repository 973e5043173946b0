-- wrk script: GET /api/v1/learners/{id}/predict for learners l1..l1000 chosen at random,
-- each request naming 5 random nodes of the file TUPU_PREDICT_NODES (one IRI a line).
math.randomseed(42)
local nodes = {}
for line in io.lines(os.getenv("TUPU_PREDICT_NODES")) do
  nodes[#nodes + 1] = line:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)
end
request = function()
  local q = {}
  for i = 1, 5 do q[i] = "node=" .. nodes[math.random(1, #nodes)] end
  return wrk.format("GET", "/api/v1/learners/l" .. math.random(1, 1000) .. "/predict?" .. table.concat(q, "&"))
end
