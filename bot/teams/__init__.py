"""Microsoft Teams: the SDK adapter (inbound), the Bot Connector platform (outbound), Graph."""

import warnings

# The Teams SDK announces a preview feature we do not use on import; keep operators' logs clean.
warnings.filterwarnings("ignore", message="HtmlWidgetSecurityPolicy is in preview")
