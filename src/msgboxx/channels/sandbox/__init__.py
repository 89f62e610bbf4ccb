"""The built-in WhatsApp sandbox: a stand-in network for trying msgboxx out."""
