"""Signed webhooks (Twelve Labs compatible): signing, events and deliveries, the delivery worker."""
