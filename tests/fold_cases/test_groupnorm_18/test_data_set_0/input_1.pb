BsJs®?
h‚¿¢^u>