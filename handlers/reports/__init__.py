"""Reports: SPC charts of aggregate figures for committees (digest and web) and the quarterly
board pack for the Quality Committee. Counts and rates only, never a name or a story."""
