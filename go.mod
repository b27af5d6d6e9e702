module github.com/faxhaven/faxhaven

go 1.26.8
