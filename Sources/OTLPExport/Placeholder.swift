// Module OTLPExport: sources land here.
