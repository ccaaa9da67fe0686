"""What the spider reads from a page: pure functions over its bytes, text and tree, no Scrapy and no I/O.

Publish dates (dates), decoding (encoding), links and their status (links), columns and their classes
(columns), a page's own content (content), identity marks (identity), personal data (privacy, and in
attachments: attachments), service guides (service), wrong words and terms (wording), dark links and
home-page fingerprints (darklinks). crawler/page_analysis.py puts them together for one page.
"""
