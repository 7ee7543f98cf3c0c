"""Plain: add "connect_pageviews.plain" to INSTALLED_PACKAGES, then `{% connect_pageviews %}`."""
