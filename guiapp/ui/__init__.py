"""Qt widgets over the session store. No torch at module level: the window starts fast."""
