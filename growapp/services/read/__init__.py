"""Read models: what the pages and the API show (the cockpit, the overview roster and tent
map, the placement board, the tray page, code search, readiness), each in a fixed, small
number of queries. They write nothing; the write services live one level up."""
