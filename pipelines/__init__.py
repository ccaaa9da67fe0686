"""Scrapy item pipelines (ITEM_PIPELINES): the home-page comparison (home_change) and indexing into
Elasticsearch with its spool (indexing). What the spider reads from pages is in crawler/extract/."""
