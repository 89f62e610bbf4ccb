"""msgboxx: self-hostable business messaging on WhatsApp."""

__version__ = "0.1.0"
