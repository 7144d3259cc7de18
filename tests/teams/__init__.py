"""Teams: the Bot Connector fake and the outbound, inbound and card tests."""
