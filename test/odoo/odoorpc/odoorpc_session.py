"""OdooRPC (Debian's python3-odoorpc), unpatched, against the bridge: prints one JSON line of what it saw.

Usage: odoorpc_session.py HOST PORT DB KEY
"""
import json
import sys

import odoorpc

host, port, db, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
odoo = odoorpc.ODOO(host, port=port)  # reads /web/webclient/version_info
out = {'version': odoo.version}
odoo.login(db, 'odoo', key)  # /web/session/authenticate
out['uid'] = odoo.env.uid
out['context'] = odoo.env.context
out['has_elevation_model'] = 'logikal.elevation' in odoo.env  # ir.model search
out['has_unknown_model'] = 'res.partner' in odoo.env
Project = odoo.env['logikal.project']  # fields_get
out['projects'] = Project.search_read([('name', '=', 'DOS22309')], ['name', 'job_number'])
ids = Project.search([], order='name')
out['names'] = [p.name for p in Project.browse(ids)]  # read through records
out['elevations'] = odoo.env['logikal.elevation'].search_count([])
try:
    odoo.env['logikal.project'].create({'name': 'x'})
    out['create'] = 'allowed'
except odoorpc.error.RPCError as e:
    out['create'] = str(e)
out['logout'] = odoo.logout()  # /web/session/destroy
print(json.dumps(out))
