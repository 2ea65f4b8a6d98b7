# extract
