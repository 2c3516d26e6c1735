module weftgohttp

go 1.19
