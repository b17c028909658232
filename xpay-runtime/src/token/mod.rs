//! Access tokens: fetched, cached, shared and refreshed ahead of expiry.
