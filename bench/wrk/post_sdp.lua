-- POSTs the SDP offer in $SDP_FILE with Content-Type application/sdp to the URL wrk is given.
local f = assert(io.open(assert(os.getenv("SDP_FILE"), "SDP_FILE not set"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/sdp"
dofile(os.getenv("REPORT_LUA"))
