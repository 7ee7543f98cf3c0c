"""Plain imports each installed package's `templates` module; this registers the tag."""

from plain.templates import register_template_extension

from connect_pageviews.plain.extension import PlainPageviewsExtension

register_template_extension(PlainPageviewsExtension)
