"""Django: add "connect_pageviews.django" to INSTALLED_APPS, then in a template
`{% load connect_pageviews %}{% connect_pageviews %}`."""
