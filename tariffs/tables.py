"""Tables of the tariffs package (tariff versions and bills arrive with the tariffs issue)."""
