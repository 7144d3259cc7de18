"""Slack: slack-bolt for inbound requests, slack_sdk's WebClient for outbound messages."""
