"""theme merges can be undone: the merged theme keeps what the merge changed

A merge moves the source theme's codes and suggestions to the target, drops those the target already had, and
rewrites blind double-coding records. `themes.merge_undo` holds, on the merged (archived) theme, which rows
moved and what was dropped or rewritten, so "Separate again" can put them back.

Revision ID: 3a9e1c7d2b64
Revises: 5e0c2b9d41f7
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3a9e1c7d2b64'
down_revision = '5e0c2b9d41f7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merge_undo', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_column('merge_undo')
