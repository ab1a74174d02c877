package handlers_test

func init() {
	for k, v := range map[string]access{
		"GET /portal/filings/new":    {roles: "handler_filer"},
		"POST /portal/filings/check": {roles: "handler_filer"},
		"POST /portal/filings":       {roles: "handler_filer"},
		"GET /portal/filings":        {roles: allUnit},
		"GET /portal/filings/export": {roles: allUnit},
		"GET /portal/error-codes":    {roles: allUnit},
	} {
		routeAccess[k] = v
	}
}

func init() {
	for k, v := range map[string]access{
		"GET /console/error-codes":        {roles: allStaff},
		"POST /console/error-codes/:code": {roles: "admin"},
		"GET /console/grades":             {roles: allStaff},
		"POST /console/grades":            {roles: "admin"},
	} {
		routeAccess[k] = v
	}
}

func init() {
	routeAccess["GET /portal/print"] = access{roles: allUnit}
	routeAccess["POST /portal/print"] = access{roles: allUnit}
}

func init() { routeAccess["POST /console/nightly"] = access{roles: "admin"} }

func init() {
	routeAccess["GET /portal/filings/upload"] = access{roles: "handler_filer"}
	routeAccess["POST /portal/filings/upload"] = access{roles: "handler_filer"}
	routeAccess["GET /portal/filings/template.csv"] = access{roles: "handler_filer"}
}
