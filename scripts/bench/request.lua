-- One fixed request, repeated: BENCH_METHOD (GET), BENCH_BODY (JSON, for POST),
-- BENCH_AUTHORIZATION (a bearer token header value) or BENCH_COOKIE (a page session).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
end
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""
if authorization ~= "" then wrk.headers["Authorization"] = authorization end
local cookie = os.getenv("BENCH_COOKIE") or ""
if cookie ~= "" then wrk.headers["Cookie"] = cookie end
