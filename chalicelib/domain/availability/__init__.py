"""Availability: how long each entity (a store, a sensor, a feed) was up and down within its
business hours, in its own time zone, from the status observations its events carry."""
