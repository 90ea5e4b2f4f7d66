-- SPDX-License-Identifier: GPL-2.0
-- wrk script: normal traffic over every endpoint that runs libminiweb.
-- Every request must get 200.
local reqs = {}
local i = 0

function init(args)
	reqs = {
		wrk.format("GET", "/health"),
		wrk.format("GET", "/url?u=HTTP%3A%2F%2FWWW.Example.COM.%3A80%2Fa%2F.%2Fb%2F..%2Fc%3Fq%3D1"),
		wrk.format("POST", "/tokenize", { ["Content-Type"] = "text/html" },
			"<!DOCTYPE html><p class=x>Hi &amp; bye &#x1F600;</p>" ..
			"<a href=\"http://Example.com/./a\" title='t&lt;'>l</a>"),
		wrk.format("POST", "/eval?x=5", nil, "x * (2 + 3) - min(4, 9)"),
		wrk.format("POST", "/style", nil, "color: Red; width: calc(2 * 8px)"),
		wrk.format("POST", "/css", nil, "@palette #abc, 2px; " ..
			"h1 > p { color: palette(0); content: \"a\\\"\1\"; " ..
			"font-family: x, serif !important }"),
		wrk.format("GET", "/stats"),
	}
end

function request()
	i = i + 1
	return reqs[(i % #reqs) + 1]
end
