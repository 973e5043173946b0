-- wrk script: GET /api/v1/learners/{id}/next for learners l1..l1000, chosen at random.
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/learners/l" .. math.random(1, 1000) .. "/next?n=5")
end
